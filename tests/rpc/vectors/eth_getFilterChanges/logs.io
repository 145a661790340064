// a log filter collects matching logs of new blocks; eth_getFilterLogs returns every match in its range
// stateful: seals blocks; replayed from genesis between evm_snapshot and evm_revert
// speconly-next: filter ids are random
>> {"jsonrpc":"2.0","id":1,"method":"eth_newFilter","params":[{"address":"0x0000000000000000000000000000000000000801","topics":["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"]}]}
<< {"jsonrpc":"2.0","id":1,"result":"0xd0d140730ee16c606ba5f049effdb6ad"}
// speconly-next: filter ids are random
>> {"jsonrpc":"2.0","id":2,"method":"eth_newFilter","params":[{"fromBlock":"0x0","toBlock":"latest","address":"0x0000000000000000000000000000000000000801"}]}
<< {"jsonrpc":"2.0","id":2,"result":"0x2ed3aa24e8a70ed8f7b7909d503973c4"}
>> {"jsonrpc":"2.0","id":3,"method":"evm_setNextBlockTimestamp","params":[1700000000]}
<< {"jsonrpc":"2.0","id":3,"result":null}
>> {"jsonrpc":"2.0","id":4,"method":"eth_sendRawTransaction","params":["0x02f8b1827a6980843b9aca00847735940082ea6094000000000000000000000000000000000000080180b844a9059cbb00000000000000000000000015d34aaf54267db7d7c367839aaf71a00a2c6a650000000000000000000000000000000000000000000000000de0b6b3a7640000c001a0911b608e2ed2d4278021467d997cdbe09c12fe79d47d06bdf46cb15add939e61a00e5b9e8f2cff108373d9ceab80defe0fd9b9730bf804eb23dff1a3384d0f9b1e"]}
<< {"jsonrpc":"2.0","id":4,"result":"0x7f305b5dc715cc5c0b130fd858085721746d86bd022081a9a432208e10648443"}
>> {"jsonrpc":"2.0","id":5,"method":"eth_getFilterChanges","params":["0xd0d140730ee16c606ba5f049effdb6ad"]}
<< {"jsonrpc":"2.0","id":5,"result":[{"address":"0x0000000000000000000000000000000000000801","topics":["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef","0x00000000000000000000000090f79bf6eb2c4f870365e785982e1f101e93b906","0x00000000000000000000000015d34aaf54267db7d7c367839aaf71a00a2c6a65"],"data":"0x0000000000000000000000000000000000000000000000000de0b6b3a7640000","blockHash":"0xcea6df4f74eecbf6e5d8054c3099eb48897e149f58b0ece04fd2a80305f90bd9","blockNumber":"0x1","transactionHash":"0x7f305b5dc715cc5c0b130fd858085721746d86bd022081a9a432208e10648443","transactionIndex":"0x0","logIndex":"0x0","removed":false}]}
>> {"jsonrpc":"2.0","id":6,"method":"eth_getFilterChanges","params":["0xd0d140730ee16c606ba5f049effdb6ad"]}
<< {"jsonrpc":"2.0","id":6,"result":[]}
>> {"jsonrpc":"2.0","id":7,"method":"eth_getFilterLogs","params":["0x2ed3aa24e8a70ed8f7b7909d503973c4"]}
<< {"jsonrpc":"2.0","id":7,"result":[{"address":"0x0000000000000000000000000000000000000801","topics":["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef","0x00000000000000000000000090f79bf6eb2c4f870365e785982e1f101e93b906","0x00000000000000000000000015d34aaf54267db7d7c367839aaf71a00a2c6a65"],"data":"0x0000000000000000000000000000000000000000000000000de0b6b3a7640000","blockHash":"0xcea6df4f74eecbf6e5d8054c3099eb48897e149f58b0ece04fd2a80305f90bd9","blockNumber":"0x1","transactionHash":"0x7f305b5dc715cc5c0b130fd858085721746d86bd022081a9a432208e10648443","transactionIndex":"0x0","logIndex":"0x0","removed":false}]}
>> {"jsonrpc":"2.0","id":8,"method":"eth_uninstallFilter","params":["0xd0d140730ee16c606ba5f049effdb6ad"]}
<< {"jsonrpc":"2.0","id":8,"result":true}
>> {"jsonrpc":"2.0","id":9,"method":"eth_uninstallFilter","params":["0xd0d140730ee16c606ba5f049effdb6ad"]}
<< {"jsonrpc":"2.0","id":9,"result":false}
>> {"jsonrpc":"2.0","id":10,"method":"eth_getFilterChanges","params":["0xd0d140730ee16c606ba5f049effdb6ad"]}
<< {"jsonrpc":"2.0","id":10,"error":{"code":-32001,"message":"filter not found"}}
