// blockHash with fromBlock: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"blockHash":"0xabababababababababababababababababababababababababababababababab","fromBlock":"0x0"}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: blockHash cannot be combined with fromBlock or toBlock"}}
