// EIP-1898 object without blockNumber or blockHash: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",{}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: block object must have blockNumber or blockHash"}}
