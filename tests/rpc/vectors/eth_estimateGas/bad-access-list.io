// a malformed access list: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_estimateGas","params":[{"to":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","accessList":[{"address":"0x0000000000000000000000000000000000000801"}]}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: accessList entries must be {address, storageKeys: [...]}"}}
